/*
 * smh-boot: AArch32 MPU attributes (architecture field, bits 20-31).  Zephyr marks this
 * encoding as legacy; the ARM MPU driver accepts exactly one of RAM, RAM_NOCACHE, FLASH,
 * PPB or IO per region.
 */
#ifndef SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_ARM_H_
#define SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_ARM_H_

#include <zephyr/dt-bindings/memory-attr/memory-attr.h>

#define DT_MEM_ARM_MASK         DT_MEM_ARCH_ATTR_MASK
#define DT_MEM_ARM(x)           ((x) << DT_MEM_ARCH_ATTR_SHIFT)
#define DT_MEM_ARM_GET(x)       ((x) & DT_MEM_ARM_MASK)

#define ATTR_MPU_RAM            BIT(0)
#define ATTR_MPU_RAM_NOCACHE    BIT(1)
#define ATTR_MPU_FLASH          BIT(2)
#define ATTR_MPU_PPB            BIT(3)
#define ATTR_MPU_IO             BIT(4)
#define ATTR_MPU_EXTMEM         BIT(5)
#define ATTR_MPU_RAM_PXN        BIT(6)
#define ATTR_MPU_DEVICE         BIT(7)
#define ATTR_MPU_RAM_WT         BIT(8)

#define DT_MEM_ARM_MPU_RAM          DT_MEM_ARM(ATTR_MPU_RAM)          /* 0x00100000 */
#define DT_MEM_ARM_MPU_RAM_NOCACHE  DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)  /* 0x00200000 */
#define DT_MEM_ARM_MPU_FLASH        DT_MEM_ARM(ATTR_MPU_FLASH)        /* 0x00400000 */
#define DT_MEM_ARM_MPU_PPB          DT_MEM_ARM(ATTR_MPU_PPB)          /* 0x00800000 */
#define DT_MEM_ARM_MPU_IO           DT_MEM_ARM(ATTR_MPU_IO)           /* 0x01000000 */
#define DT_MEM_ARM_MPU_EXTMEM       DT_MEM_ARM(ATTR_MPU_EXTMEM)       /* 0x02000000 */
#define DT_MEM_ARM_MPU_RAM_PXN      DT_MEM_ARM(ATTR_MPU_RAM_PXN)      /* 0x04000000 */
#define DT_MEM_ARM_MPU_DEVICE       DT_MEM_ARM(ATTR_MPU_DEVICE)       /* 0x08000000 */
#define DT_MEM_ARM_MPU_RAM_WT       DT_MEM_ARM(ATTR_MPU_RAM_WT)       /* 0x10000000 */
#define DT_MEM_ARM_MPU_UNKNOWN      DT_MEM_ARCH_ATTR_UNKNOWN

#endif /* SMH_BOOT_DT_BINDINGS_MEMORY_ATTR_ARM_H_ */
