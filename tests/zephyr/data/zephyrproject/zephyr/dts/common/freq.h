/* Test fixture: dts/common is a DTS root include folder. */
#ifndef FIXTURE_FREQ_H_
#define FIXTURE_FREQ_H_
#define DT_FREQ_K(x) ((x) * 1000)
#define DT_FREQ_M(x) (DT_FREQ_K(x) * 1000)
#endif
