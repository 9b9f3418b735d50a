// Bounded C simulation: hls::stream with the depth the design declares, every kernel in a thread.
//
// Used only by `hwsim csim --bounded`, which compiles with -DHWSIM_BOUNDED and puts this folder on
// the include path before the ap_types headers, so that "hls_stream.h" is this file. The HLS tool
// never sees it (build_prj.tcl has no such path), and under __SYNTHESIS__ the macros below are not
// defined here: the synthesized code is unchanged.
//
// - A stream holds at most its depth (HWSIM_STREAM_DEPTH in top.cpp, the HLS STREAM pragma's
//   value); 0 is unbounded (the testbench's own streams). read() blocks while the stream is empty,
//   write() while it is full.
// - HWSIM_PROCESS(call) runs the kernel call in its own thread; HWSIM_DATAFLOW_END() joins them.
// - Deadlock: when every running kernel waits, the run stops with one line on stderr naming the
//   full and the empty streams, and exit code 4. The kernels read and write in a fixed order that
//   does not depend on the data, so whether this happens does not depend on the thread timing.
// - HWSIM_TRACE=FILE: every read and write is appended to FILE as "<stream> r|w <iteration>", the
//   iteration of the kernel's loop (its counter) in which it happened (tests/test_fifo_sim.py).
#ifndef HWSIM_BOUNDED_HLS_STREAM_H_
#define HWSIM_BOUNDED_HLS_STREAM_H_

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace hwsim {
inline unsigned long long *cycle_counts();
namespace bounded {

struct waiter {
    virtual const std::string &stream_name() const = 0;
    virtual bool reader_waiting() const = 0;
    virtual bool writer_waiting() const = 0;
    virtual ~waiter() {}
};

// One monitor for the whole process: one mutex guards every stream, the running and waiting
// counts, and the trace.
class monitor {
  public:
    std::mutex m;
    unsigned running = 0, waiting = 0;
    bool armed = false;        // every kernel of the region spawned: only then can all be waiting
    std::set<const waiter *> streams;
    std::vector<std::thread> threads;
    FILE *trace = nullptr;

    monitor() {
        const char *path = std::getenv("HWSIM_TRACE");
        if (path && *path) {
            trace = std::fopen(path, "w");
        }
    }

    // Called with m held, when a thread is about to wait or has ended.
    void check() {
        if (!armed || running == 0 || waiting < running) {
            return;
        }
        std::set<std::string> fulls, empties;     // sorted by name
        for (const waiter *s : streams) {
            if (s->writer_waiting()) {
                fulls.insert(s->stream_name());
            }
            if (s->reader_waiting()) {
                empties.insert(s->stream_name());
            }
        }
        std::string full, empty;
        for (const std::string &n : fulls) {
            full += (full.empty() ? "" : ", ") + n;
        }
        for (const std::string &n : empties) {
            empty += (empty.empty() ? "" : ", ") + n;
        }
        std::fprintf(stderr, "tb: deadlock: every kernel waits; full: %s; empty: %s\n",
                     full.empty() ? "-" : full.c_str(), empty.empty() ? "-" : empty.c_str());
        std::fflush(stderr);
        if (trace) {
            std::fflush(trace);
        }
        std::_Exit(4);
    }
};

inline monitor &region() {
    static monitor mon;
    return mon;
}

// The kernel counter of the calling thread (its loop iteration, for the trace).
inline unsigned &current_counter() {
    static thread_local unsigned id = ~0u;
    return id;
}

inline void record(const std::string &name, char op) {
    monitor &mon = region();
    if (!mon.trace) {
        return;
    }
    const unsigned id = current_counter();
    const long long i = id == ~0u ? -1 : (long long)::hwsim::cycle_counts()[id] - 1;
    std::fprintf(mon.trace, "%s %c %lld\n", name.c_str(), op, i);
}

inline void spawn(std::function<void()> body) {
    monitor &mon = region();
    std::lock_guard<std::mutex> lk(mon.m);
    mon.running++;
    mon.threads.emplace_back([body]() {
        body();
        monitor &mon = region();
        std::lock_guard<std::mutex> lk(mon.m);
        mon.running--;
        mon.check();
    });
}

inline void join() {
    monitor &mon = region();
    std::vector<std::thread> ts;
    {
        std::lock_guard<std::mutex> lk(mon.m);
        ts.swap(mon.threads);
        mon.armed = true;      // the region's last call is spawned (a kernel that ran ahead of the
        mon.check();           // later spawns may wait on one not started yet: no deadlock)
    }
    for (std::thread &t : ts) {
        t.join();
    }
    {
        std::lock_guard<std::mutex> lk(mon.m);
        mon.armed = false;
    }
    if (mon.trace) {
        std::fflush(mon.trace);
    }
}

} // namespace bounded
} // namespace hwsim

namespace hls {

template <class T> class stream : public ::hwsim::bounded::waiter {
  public:
    stream() : name_("stream") { enroll(); }
    explicit stream(const char *name) : name_(name) { enroll(); }
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;
    ~stream() {
        ::hwsim::bounded::monitor &mon = ::hwsim::bounded::region();
        std::lock_guard<std::mutex> lk(mon.m);
        mon.streams.erase(this);
    }

    void set_depth(unsigned depth) { depth_ = depth; }

    T read() {
        ::hwsim::bounded::monitor &mon = ::hwsim::bounded::region();
        std::unique_lock<std::mutex> lk(mon.m);
        while (q_.empty()) {
            rwait_ = true;
            mon.waiting++;
            mon.check();
            rcv_.wait(lk, [this]() { return !rwait_; });
        }
        T v = q_.front();
        q_.pop_front();
        ::hwsim::bounded::record(name_, 'r');
        if (wwait_) {            // a place is free: release the writer (it stops counting as waiting)
            wwait_ = false;
            mon.waiting--;
            wcv_.notify_one();
        }
        return v;
    }
    void read(T &v) { v = read(); }

    void write(const T &v) {
        ::hwsim::bounded::monitor &mon = ::hwsim::bounded::region();
        std::unique_lock<std::mutex> lk(mon.m);
        while (depth_ && q_.size() >= depth_) {
            wwait_ = true;
            mon.waiting++;
            mon.check();
            wcv_.wait(lk, [this]() { return !wwait_; });
        }
        q_.push_back(v);
        ::hwsim::bounded::record(name_, 'w');
        if (rwait_) {
            rwait_ = false;
            mon.waiting--;
            rcv_.notify_one();
        }
    }

    bool empty() {
        std::lock_guard<std::mutex> lk(::hwsim::bounded::region().m);
        return q_.empty();
    }
    bool full() {
        std::lock_guard<std::mutex> lk(::hwsim::bounded::region().m);
        return depth_ && q_.size() >= depth_;
    }
    size_t size() {
        std::lock_guard<std::mutex> lk(::hwsim::bounded::region().m);
        return q_.size();
    }
    void operator>>(T &v) { v = read(); }
    void operator<<(const T &v) { write(v); }

    const std::string &stream_name() const override { return name_; }
    bool reader_waiting() const override { return rwait_; }
    bool writer_waiting() const override { return wwait_; }

  private:
    void enroll() {
        ::hwsim::bounded::monitor &mon = ::hwsim::bounded::region();
        std::lock_guard<std::mutex> lk(mon.m);
        mon.streams.insert(this);
    }

    std::string name_;
    std::deque<T> q_;
    unsigned depth_ = 0;
    bool rwait_ = false, wwait_ = false;
    std::condition_variable rcv_, wcv_;
};

} // namespace hls

#ifndef __SYNTHESIS__
#define HWSIM_PROCESS(...) ::hwsim::bounded::spawn([&]() { __VA_ARGS__; })
#define HWSIM_STREAM_DEPTH(s, n) (s).set_depth(n)
#define HWSIM_DATAFLOW_END() ::hwsim::bounded::join()
#define HWSIM_COUNT(id) (::hwsim::bounded::current_counter() = (id), ::hwsim::cycle_counts()[(id)]++)
#endif

#endif
