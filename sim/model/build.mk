# sim/model: the C reference model of the card (ctnic_model.h). Other parts
# link CTNIC_MODEL_OBJS (it needs driver/src/flow.c, which libctnic holds).
CTNIC_MODEL_OBJS := $(B)/sim/model/ctnic_model.o

$(B)/sim/model/%.o: sim/model/%.c sim/model/ctnic_model.h driver/include/ctnic_flow.h driver/include/ctnic_regs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
