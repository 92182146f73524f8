# tools/bench: host-side benchmarks. `make bench-installs` prints
# host_installs_per_s (flow installs per second through the model: backend's
# command ring from one thread, issue 4); run it in a plain (optimised,
# unsanitized) build. Arguments: BENCH_INSTALLS_ARGS="--installs N --batch N".
BENCH_INSTALLS := $(B)/tools/bench/bench_installs

$(B)/tools/bench/%.o: tools/bench/%.c $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BENCH_INSTALLS): $(B)/tools/bench/bench_installs.o $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBCTNIC_LIBS)

ALL_BINS += $(BENCH_INSTALLS)

.PHONY: bench-installs
bench-installs:
	@$(MAKE) --no-print-directory $(BENCH_INSTALLS) >/dev/null
	@$(BENCH_INSTALLS) $(BENCH_INSTALLS_ARGS)

# Issue 4's host figure is part of the hardware benchmark set.
bench-hw: bench-installs
