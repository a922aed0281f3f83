/*
 * smh-boot: AArch64 MMU attributes, newest Zephyr layout.  Cacheability is the generic
 * DT_MEM_CACHEABLE bit; the architecture field only adds write-back (BIT(1) of the field).
 * (An older, incompatible layout used one architecture bit per memory type; it is not
 * provided.)
 */
#ifndef SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_ARM64_H_
#define SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_ARM64_H_

#include <zephyr/dt-bindings/memory-attr/memory-attr.h>

#define DT_MEM_ARM64_MASK       DT_MEM_ARCH_ATTR_MASK
#define DT_MEM_ARM64(x)         ((x) << DT_MEM_ARCH_ATTR_SHIFT)
#define DT_MEM_ARM64_GET(x)     ((x) & DT_MEM_ARM64_MASK)

#define ATTR_ARM64_CACHE_WB     BIT(1)

#define DT_MEM_ARM64_MMU_NORMAL_NC  0
#define DT_MEM_ARM64_MMU_NORMAL_WT  DT_MEM_CACHEABLE
#define DT_MEM_ARM64_MMU_NORMAL     (DT_MEM_CACHEABLE | DT_MEM_ARM64(ATTR_ARM64_CACHE_WB))
#define DT_MEM_ARM64_MMU_UNKNOWN    DT_MEM_ARCH_ATTR_UNKNOWN

#endif /* SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_ARM64_H_ */
