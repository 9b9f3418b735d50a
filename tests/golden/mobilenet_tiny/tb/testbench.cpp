// C simulation testbench for mobilenet_tiny.
//   csim [input.bin [output.bin [expected.bin [cycles.txt]]]]   (defaults: tb_data/input.bin,
//        tb_data/output.bin, tb_data/expected.bin, tb_data/cycles.txt)
// input.bin: N images of 72 int64 raw mantissas of ap_fixed<8,3> (little endian, HWC order).
// output.bin: N x 3 int64 raw mantissas of ap_fixed<16,6,AP_TRN,AP_SAT> (HWC order).
// When expected.bin exists, the outputs are compared with it; exit code 1 on any difference.
// cycles.txt: "images N", then one line "<counter> <iterations>" per kernel call: the iterations of
// its pipelined loop over all N images (config_*::counter numbers the calls in plan.json's order).
#include <stdint.h>
#include <cstdio>
#include <vector>

#include "hwsim_common.h"
#include "top.h"

static bool read_file(const char *path, std::vector<int64_t> &data) {
    FILE *f = std::fopen(path, "rb");
    if (!f) {
        return false;
    }
    int64_t buf[4096];
    size_t n;
    while ((n = std::fread(buf, sizeof(int64_t), 4096, f)) > 0) {
        data.insert(data.end(), buf, buf + n);
    }
    std::fclose(f);
    return true;
}

int main(int argc, char **argv) {
    const char *in_path = argc > 1 ? argv[1] : "tb_data/input.bin";
    const char *out_path = argc > 2 ? argv[2] : "tb_data/output.bin";
    const char *exp_path = argc > 3 ? argv[3] : "tb_data/expected.bin";
    const char *cyc_path = argc > 4 ? argv[4] : "tb_data/cycles.txt";
    std::vector<int64_t> input;
    if (!read_file(in_path, input)) {
        std::fprintf(stderr, "tb: cannot read %s\n", in_path);
        return 2;
    }
    if (input.empty() || input.size() % HWSIM_IN_SIZE != 0) {
        std::fprintf(stderr, "tb: %s holds %lu values, not a multiple of %u\n", in_path,
                     (unsigned long)input.size(), HWSIM_IN_SIZE);
        return 2;
    }
    const size_t images = input.size() / HWSIM_IN_SIZE;
    std::vector<int64_t> output(images * HWSIM_OUT_SIZE);
    for (size_t img = 0; img < images; img++) {
        hls::stream<hwsim::beat<t_input, 2> > x("tb_input");
        hls::stream<hwsim::beat<t_fc, 1> > y("tb_output");
        for (size_t i = 0; i < HWSIM_IN_SIZE; i += HWSIM_IN_BEAT) {
            hwsim::beat<t_input, 2> b;
            for (unsigned s = 0; s < HWSIM_IN_BEAT; s++) {
                b[s] = hwsim::raw_to<hwsim::beat<t_input, 2>::value_type>(input[img * HWSIM_IN_SIZE + i + s]);
            }
            x.write(b);
        }
        top_mobilenet_tiny(x, y);
        if (!x.empty() || y.size() * HWSIM_OUT_BEAT != HWSIM_OUT_SIZE) {
            std::fprintf(stderr, "tb: image %lu: %lu input beats left unread, %lu output beats (expected %u)\n",
                         (unsigned long)img, (unsigned long)x.size(), (unsigned long)y.size(),
                         HWSIM_OUT_SIZE / HWSIM_OUT_BEAT);
            return 3;
        }
        for (size_t i = 0; i < HWSIM_OUT_SIZE; i += HWSIM_OUT_BEAT) {
            const hwsim::beat<t_fc, 1> b = y.read();
            for (unsigned s = 0; s < HWSIM_OUT_BEAT; s++) {
                output[img * HWSIM_OUT_SIZE + i + s] = hwsim::raw_of<HWSIM_OUT_WIDTH, HWSIM_OUT_SIGNED>(b[s]);
            }
        }
        std::fprintf(stderr, "tb: image %lu/%lu\n", (unsigned long)(img + 1), (unsigned long)images);
    }
    FILE *f = std::fopen(out_path, "wb");
    if (!f || std::fwrite(output.data(), sizeof(int64_t), output.size(), f) != output.size()) {
        std::fprintf(stderr, "tb: cannot write %s\n", out_path);
        return 2;
    }
    std::fclose(f);
    FILE *c = std::fopen(cyc_path, "w");
    if (!c) {
        std::fprintf(stderr, "tb: cannot write %s\n", cyc_path);
        return 2;
    }
    std::fprintf(c, "images %lu\n", (unsigned long)images);
    for (unsigned k = 0; k < HWSIM_KERNELS; k++) {
        std::fprintf(c, "%u %llu\n", k, hwsim::cycle_counts()[k]);
    }
    std::fclose(c);
    std::vector<int64_t> expected;
    if (!read_file(exp_path, expected)) {
        return 0;
    }
    if (expected.size() != output.size()) {
        std::fprintf(stderr, "tb: %s holds %lu values, expected %lu\n", exp_path, (unsigned long)expected.size(),
                     (unsigned long)output.size());
        return 2;
    }
    size_t mismatches = 0;
    for (size_t i = 0; i < output.size(); i++) {
        mismatches += output[i] != expected[i];
    }
    std::printf("tb: %lu images, %lu values, %lu mismatches\n", (unsigned long)images, (unsigned long)output.size(),
                (unsigned long)mismatches);
    return mismatches ? 1 : 0;
}
