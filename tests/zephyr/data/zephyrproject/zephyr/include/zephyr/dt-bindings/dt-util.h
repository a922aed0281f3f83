/*
 * smh-boot: bit helpers for devicetree sources (the subset of Zephyr's
 * <zephyr/dt-bindings/dt-util.h> that memory-attribute headers and overlays use).
 *
 * BIT() and BIT64() keep the C spelling, (1UL << (n)), because dtlib evaluates the
 * UL/ULL suffixes.  GENMASK() is written without ~0UL: dtlib computes with unbounded
 * integers, where "all ones shifted right" never becomes a mask, so the mask is built
 * from a power of two instead.  The values are the same for every 0 <= l <= h <= 63.
 */
#ifndef SMH_BOOT_DT_BINDINGS_DT_UTIL_H_
#define SMH_BOOT_DT_BINDINGS_DT_UTIL_H_

#ifndef BIT
#define BIT(n) (1UL << (n))
#endif

#ifndef BIT64
#define BIT64(n) (1ULL << (n))
#endif

#ifndef BIT_MASK
#define BIT_MASK(n) (BIT(n) - 1UL)
#endif

#ifndef GENMASK
#define GENMASK(h, l) (((1UL << ((h) - (l) + 1)) - 1UL) << (l))
#endif

#ifndef GENMASK64
#define GENMASK64(h, l) (((1ULL << ((h) - (l) + 1)) - 1ULL) << (l))
#endif

#endif /* SMH_BOOT_DT_BINDINGS_DT_UTIL_H_ */
