/*
 * hinge_protocol.h - portable encoder for the hinge open BLE IMU profile, version 1.
 *
 * Specification: PROTOCOL.md next to the Python package hinge.firmware_protocol.
 * Header-only, C99, no allocation, no floating point needed for the wire format,
 * byte order written explicitly (little-endian) so it works on any MCU.
 * The Python tests compile this file with the system C compiler and check that its
 * bytes equal the shared vectors in vectors/hinge_open_v1.json.
 *
 * SPDX-License-Identifier: MIT
 *
 * Typical firmware loop (nRF52840 / ESP32):
 *     uint8_t buf[HINGE_MAX_PAYLOAD];
 *     size_t n_max = hinge_max_samples(att_mtu, 1);
 *     ... collect up to n_max samples from the IMU FIFO into hinge_sample_t s[] ...
 *     size_t len = hinge_encode_data(buf, sizeof buf, cfg, seq++, t_first_ticks, s, n, 1);
 *     notify(data_char, buf, len);
 */
#ifndef HINGE_PROTOCOL_H
#define HINGE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HINGE_PROTOCOL_VERSION 1u
#define HINGE_HEADER_SIZE 8u
#define HINGE_MAX_PAYLOAD 512u
#define HINGE_INFO_SIZE 16u
#define HINGE_CONFIGURE_SIZE 7u

/* 128-bit UUIDs (string form for stacks that take strings). */
#define HINGE_SERVICE_UUID "ac670001-eead-43c0-8098-a706cd7ed5fc"
#define HINGE_CONTROL_UUID "ac670002-eead-43c0-8098-a706cd7ed5fc"
#define HINGE_INFO_UUID    "ac670003-eead-43c0-8098-a706cd7ed5fc"
#define HINGE_DATA_UUID    "ac670004-eead-43c0-8098-a706cd7ed5fc"
/* Service UUID as little-endian bytes (Nordic/Zephyr/NimBLE BLE_UUID128_INIT order). */
#define HINGE_SERVICE_UUID_LE 0xfc, 0xd5, 0x7e, 0xcd, 0x06, 0xa7, 0x98, 0x80, \
                              0xc0, 0x43, 0xad, 0xee, 0x01, 0x00, 0x67, 0xac

/* Range codes: acc +-2/4/8/16 g = 0..3; gyro +-125/250/500/1000/2000 dps = 0..4.
 * One LSB = full scale / 32768. */
enum { HINGE_ACC_2G = 0, HINGE_ACC_4G = 1, HINGE_ACC_8G = 2, HINGE_ACC_16G = 3 };
enum { HINGE_GYR_125 = 0, HINGE_GYR_250 = 1, HINGE_GYR_500 = 2, HINGE_GYR_1000 = 3, HINGE_GYR_2000 = 4 };

/* Control opcodes, response code and status values. */
enum { HINGE_OP_START = 0x01, HINGE_OP_STOP = 0x02, HINGE_OP_CONFIGURE = 0x03, HINGE_OP_RESPONSE = 0x80 };
enum {
    HINGE_STATUS_OK = 0, HINGE_STATUS_UNKNOWN_OPCODE = 1, HINGE_STATUS_INVALID_LENGTH = 2,
    HINGE_STATUS_UNSUPPORTED_RATE = 3, HINGE_STATUS_UNSUPPORTED_RANGE = 4, HINGE_STATUS_INVALID_STATE = 5
};

typedef struct {
    int16_t acc[3]; /* x, y, z in LSB of the acc range */
    int16_t gyr[3]; /* x, y, z in LSB of the gyro range (ignored when has_gyro = 0) */
} hinge_sample_t;

typedef struct {
    uint8_t op;            /* HINGE_OP_* */
    uint16_t rate_hz;      /* CONFIGURE only */
    uint8_t acc_code;      /* CONFIGURE only */
    uint8_t gyr_code;      /* CONFIGURE only */
    uint8_t gyro_enabled;  /* CONFIGURE only */
    uint8_t max_samples;   /* CONFIGURE only, 0 = fill the MTU */
} hinge_command_t;

static inline void hinge_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v & 0xFFu); p[1] = (uint8_t)(v >> 8); }
static inline void hinge_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu); p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu); p[3] = (uint8_t)(v >> 24);
}
static inline void hinge_put_i16(uint8_t *p, int16_t v) { hinge_put_u16(p, (uint16_t)v); }

/* Byte 1 of a data notification: bits 0-1 acc code, 2-4 gyro code, 5 gyro present, 6 overflow. */
static inline uint8_t hinge_config_byte(uint8_t acc_code, uint8_t gyr_code, int has_gyro, int overflow)
{
    return (uint8_t)((acc_code & 0x03u) | ((gyr_code & 0x07u) << 2) | (has_gyro ? 0x20u : 0u) | (overflow ? 0x40u : 0u));
}

/* Samples that fit one notification at this ATT_MTU (payload = MTU - 3, at most 512). */
static inline size_t hinge_max_samples(size_t att_mtu, int has_gyro)
{
    size_t payload = att_mtu > 3u ? att_mtu - 3u : 0u;
    if (payload > HINGE_MAX_PAYLOAD) payload = HINGE_MAX_PAYLOAD;
    if (payload < HINGE_HEADER_SIZE) return 0u;
    return (payload - HINGE_HEADER_SIZE) / (has_gyro ? 12u : 6u);
}

/* Encode one data notification. Returns its length, or 0 if n == 0 or it does not fit out_size. */
static inline size_t hinge_encode_data(uint8_t *out, size_t out_size, uint8_t config, uint16_t seq,
                                       uint32_t t_first_ticks, const hinge_sample_t *s, size_t n, int has_gyro)
{
    size_t stride = has_gyro ? 12u : 6u, len = HINGE_HEADER_SIZE + n * stride, i, k;
    if (n == 0u || len > out_size || len > HINGE_MAX_PAYLOAD) return 0u;
    config = (uint8_t)((config & ~0x20u) | (has_gyro ? 0x20u : 0u));
    out[0] = (uint8_t)HINGE_PROTOCOL_VERSION;
    out[1] = config;
    hinge_put_u16(out + 2, seq);
    hinge_put_u32(out + 4, t_first_ticks);
    for (i = 0; i < n; ++i) {
        uint8_t *p = out + HINGE_HEADER_SIZE + i * stride;
        for (k = 0; k < 3u; ++k) hinge_put_i16(p + 2u * k, s[i].acc[k]);
        if (has_gyro) for (k = 0; k < 3u; ++k) hinge_put_i16(p + 6u + 2u * k, s[i].gyr[k]);
    }
    return len;
}

/* Encode the 16-byte info value. */
static inline size_t hinge_encode_info(uint8_t out[HINGE_INFO_SIZE], uint8_t fw_major, uint8_t fw_minor,
                                       uint8_t fw_patch, uint32_t clock_hz, uint16_t rate_hz, uint8_t config,
                                       int streaming, int gyro_available, uint8_t max_samples)
{
    out[0] = (uint8_t)HINGE_PROTOCOL_VERSION;
    out[1] = fw_major; out[2] = fw_minor; out[3] = fw_patch;
    hinge_put_u32(out + 4, clock_hz);
    hinge_put_u16(out + 8, rate_hz);
    out[10] = (uint8_t)(config & 0x3Fu);
    out[11] = (uint8_t)((streaming ? 1u : 0u) | (gyro_available ? 2u : 0u));
    out[12] = max_samples;
    out[13] = 0u; out[14] = 0u; out[15] = 0u;
    return HINGE_INFO_SIZE;
}

/* Parse a control write. Returns a HINGE_STATUS_* value (OK, UNKNOWN_OPCODE, INVALID_LENGTH,
 * UNSUPPORTED_RANGE); the firmware checks the rate itself and answers UNSUPPORTED_RATE. */
static inline uint8_t hinge_parse_command(const uint8_t *in, size_t len, hinge_command_t *cmd)
{
    if (len == 0u) return HINGE_STATUS_INVALID_LENGTH;
    cmd->op = in[0];
    switch (in[0]) {
    case HINGE_OP_START:
    case HINGE_OP_STOP:
        return len == 1u ? HINGE_STATUS_OK : HINGE_STATUS_INVALID_LENGTH;
    case HINGE_OP_CONFIGURE:
        if (len != HINGE_CONFIGURE_SIZE) return HINGE_STATUS_INVALID_LENGTH;
        cmd->rate_hz = (uint16_t)(in[1] | (in[2] << 8));
        cmd->acc_code = in[3];
        cmd->gyr_code = in[4];
        cmd->gyro_enabled = (uint8_t)(in[5] & 1u);
        cmd->max_samples = in[6];
        if (cmd->acc_code > HINGE_ACC_16G || cmd->gyr_code > HINGE_GYR_2000) return HINGE_STATUS_UNSUPPORTED_RANGE;
        return HINGE_STATUS_OK;
    default:
        return HINGE_STATUS_UNKNOWN_OPCODE;
    }
}

/* Encode the 3-byte indication that answers a control write. */
static inline size_t hinge_encode_response(uint8_t out[3], uint8_t opcode, uint8_t status)
{
    out[0] = (uint8_t)HINGE_OP_RESPONSE; out[1] = opcode; out[2] = status;
    return 3u;
}

#ifdef __cplusplus
}
#endif
#endif /* HINGE_PROTOCOL_H */
