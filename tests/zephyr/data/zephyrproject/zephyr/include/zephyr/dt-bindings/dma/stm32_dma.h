/* Test fixture: found only through include/zephyr (written as <dt-bindings/dma/stm32_dma.h>). */
#ifndef FIXTURE_DT_BINDINGS_STM32_DMA_H_
#define FIXTURE_DT_BINDINGS_STM32_DMA_H_
#define STM32_DMA_PERIPH_RX	0x400
#define STM32_DMA_PERIPH_TX	0x440
#define STM32_DMA_FIFO_FULL	0x3
#endif
