# The store does not wait for the load: a read-after-write hazard.
        li r2, 1024
        dload.i8.i8 vbuf[r0], dram[r0]
        dstore.i8.i8 dram[r2], vbuf[r0]
        end
