/*
 * smh-boot: layout of the 32-bit `zephyr,memory-attr` value (newest Zephyr layout).
 *
 *   bits  0-15  generic attributes        DT_MEM_*          (bit 15: DT_MEM_UNKNOWN)
 *   bits 16-19  software attributes       DT_MEM_SW_*       (bit 19: unknown marker)
 *   bits 20-31  architecture attributes   DT_MEM_<ARCH>_*   (bit 31: unknown marker)
 *
 * The *_GET() helpers only mask: the fields are compared in place, never shifted down.
 */
#ifndef SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_H_
#define SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_H_

#include <zephyr/dt-bindings/dt-util.h>

/* generic field */
#define DT_MEM_ATTR_MASK        GENMASK(15, 0)
#define DT_MEM_ATTR_SHIFT       (0)
#define DT_MEM_ATTR_GET(x)      ((x) & DT_MEM_ATTR_MASK)

#define DT_MEM_CACHEABLE        BIT(0)  /* cacheable memory */
#define DT_MEM_NON_VOLATILE     BIT(1)  /* keeps its contents without power */
#define DT_MEM_OOO              BIT(2)  /* accesses may complete out of order */
#define DT_MEM_DMA              BIT(3)  /* reachable by DMA masters */
#define DT_MEM_READABLE         BIT(4)
#define DT_MEM_WRITABLE         BIT(5)
#define DT_MEM_EXECUTABLE       BIT(6)
#define DT_MEM_SHAREABLE        BIT(7)
#define DT_MEM_NON_CACHEABLE    BIT(8)
#define DT_MEM_USERSPACE        BIT(9)
#define DT_MEM_PERM_MASK        (DT_MEM_READABLE | DT_MEM_WRITABLE | DT_MEM_EXECUTABLE)
#define DT_MEM_UNKNOWN          BIT(15)

/* software field */
#define DT_MEM_SW_ATTR_MASK     GENMASK(19, 16)
#define DT_MEM_SW_ATTR_SHIFT    (16)
#define DT_MEM_SW_ATTR_GET(x)   ((x) & DT_MEM_SW_ATTR_MASK)
#define DT_MEM_SW_ATTR_UNKNOWN  BIT(19)

/* architecture field */
#define DT_MEM_ARCH_ATTR_MASK     GENMASK(31, 20)
#define DT_MEM_ARCH_ATTR_SHIFT    (20)
#define DT_MEM_ARCH_ATTR_GET(x)   ((x) & DT_MEM_ARCH_ATTR_MASK)
#define DT_MEM_ARCH_ATTR_UNKNOWN  BIT(31)

#endif /* SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_H_ */
