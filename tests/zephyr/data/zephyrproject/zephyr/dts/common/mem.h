/*
 * smh-boot: size helpers for devicetree sources, as Zephyr's dts/common/mem.h
 * provides them (so `reg = <0x20000000 DT_SIZE_K(32)>;` preprocesses unchanged).
 */
#ifndef SMH_BOOT_DTS_MEM_H_
#define SMH_BOOT_DTS_MEM_H_

#define DT_SIZE_K(x) ((x) * 1024)
#define DT_SIZE_M(x) (DT_SIZE_K(x) * 1024)

#endif /* SMH_BOOT_DTS_MEM_H_ */
