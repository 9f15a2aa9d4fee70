"""Small compiled helpers the kernels share: the position of a word's lowest set bit, and a
prefetch."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# The lowest set bit of a 64-bit word times this de Bruijn number has the bit's position in
# its top six bits (a table lookup instead of a loop over the bits).
DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
BIT_AT = np.zeros(64, dtype=np.int64)
BIT_AT[[((1 << b) * int(DE_BRUIJN) % (1 << 64)) >> 58 for b in range(64)]] = np.arange(64)


@njit(cache=True, inline="always")
def lowest_bit(word):  # pragma: no cover - compiled
    """The position (0-63) of the lowest set bit of ``word``, a nonzero unsigned 64-bit
    number (:data:`BIT_AT`): for kernels that read the set bits of a bitmap in order."""
    return BIT_AT[((word & (~word + np.uint64(1))) * DE_BRUIJN) >> np.uint64(58)]


@intrinsic
def prefetch(typingctx, arr, i):  # pragma: no cover - compiled
    """Ask the processor to bring ``arr[i]`` into the cache, without waiting for it (the
    LLVM intrinsic; an address out of bounds is harmless)."""

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        at = cgutils.get_item_pointer(context, builder, sig.args[0], ary, [args[1]])
        byte, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        kind = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
        fetch = cgutils.get_or_insert_function(builder.module, kind, "llvm.prefetch.p0")
        builder.call(fetch, [builder.bitcast(at, byte), i32(0), i32(3), i32(1)])  # read, keep
        return context.get_dummy_value()

    return types.void(arr, types.intp), codegen
