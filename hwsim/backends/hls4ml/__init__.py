"""The same network as an hls4ml project: conversion, runner, torch export."""
