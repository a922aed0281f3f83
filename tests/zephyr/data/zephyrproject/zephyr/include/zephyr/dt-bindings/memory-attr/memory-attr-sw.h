/*
 * smh-boot: software attributes (bits 16-19 of `zephyr,memory-attr`), the keys
 * mem_attr_heap allocates by.  DT_MEM_SW(x) places a raw ATTR_SW_* bit in the field.
 */
#ifndef SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_SW_H_
#define SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_SW_H_

#include <zephyr/dt-bindings/memory-attr/memory-attr.h>

#define DT_MEM_SW_MASK          DT_MEM_SW_ATTR_MASK
#define DT_MEM_SW(x)            ((x) << DT_MEM_SW_ATTR_SHIFT)
#define DT_MEM_SW_GET(x)        ((x) & DT_MEM_SW_ATTR_MASK)

#define ATTR_SW_ALLOC_CACHE     BIT(0)
#define ATTR_SW_ALLOC_NON_CACHE BIT(1)
#define ATTR_SW_ALLOC_DMA       BIT(2)

#define DT_MEM_SW_ALLOC_CACHE       DT_MEM_SW(ATTR_SW_ALLOC_CACHE)      /* 0x10000 */
#define DT_MEM_SW_ALLOC_NON_CACHE   DT_MEM_SW(ATTR_SW_ALLOC_NON_CACHE)  /* 0x20000 */
#define DT_MEM_SW_ALLOC_DMA         DT_MEM_SW(ATTR_SW_ALLOC_DMA)        /* 0x40000 */

#endif /* SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_SW_H_ */
