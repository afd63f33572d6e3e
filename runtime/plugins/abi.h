/*
 * ABI layout rules on the host side (see the growth rules in plugin.h):
 * the size every struct had at ABI 1.0, and the helpers that read a
 * plugin's arrays with its stride and build arrays in its layout. The
 * registry turns each accepted descriptor into a host-sized view
 * (registry.h), so the rest of the runtime only meets strides here.
 */
#ifndef RDC_ABI_H
#define RDC_ABI_H

#include <stddef.h>
#include <string.h>
#include <rdconnect/plugin.h>

/* Bytes of a struct up to and including member: the size the struct had
 * at the ABI minor whose last member that was. */
#define RDC_SIZE_THROUGH(type, member)                                         \
        (offsetof(type, member) + sizeof(((type *)0)->member))

/* Whether a struct of size bytes (a plugin's) holds member. */
#define RDC_ABI_COVERS(size, type, member)                                     \
        ((size_t)(size) >= RDC_SIZE_THROUGH(type, member))

/* Sizes at ABI 1.0: what a 1.0 plugin's structs are. */
#define RDC_ABI10_DESCRIPTOR RDC_SIZE_THROUGH(rdcp_descriptor_t, converter)
#define RDC_ABI10_CONFIG_DEF RDC_SIZE_THROUGH(rdcp_config_def_t, validator)
#define RDC_ABI10_SOURCE_RECORD                                                \
        RDC_SIZE_THROUGH(rdcp_source_record_t, source_offset)
#define RDC_ABI10_SINK_RECORD RDC_SIZE_THROUGH(rdcp_sink_record_t, headers)
#define RDC_ABI10_HEADER      RDC_SIZE_THROUGH(rdcp_header_t, value_len)
/* rdcp_topic_partition_t came with 1.1: that is its smallest size. */
#define RDC_ABI11_TOPIC_PARTITION                                              \
        RDC_SIZE_THROUGH(rdcp_topic_partition_t, offset)

/** Element i of a plugin array of the given stride. */
static inline const void *rdc_abi_at(const void *base, size_t stride,
                                     size_t i) {
        return (const char *)base + i * stride;
}

/**
 * @brief Copies a struct between layouts: the first min(dst_size,
 *        src_size) bytes of src, zero after them. The one way a plugin's
 *        struct becomes the host's (fields it lacks read as 0) and the
 *        host's becomes a plugin's (fields it does not know are cut).
 */
static inline void rdc_abi_copy(void *dst, size_t dst_size, const void *src,
                                size_t src_size) {
        size_t n = dst_size < src_size ? dst_size : src_size;
        memcpy(dst, src, n);
        if (n < dst_size)
                memset((char *)dst + n, 0, dst_size - n);
}

/**
 * @brief Copies cnt host structs of host_size into dst, an array of
 *        stride bytes per element (a plugin's layout), as rdc_abi_copy.
 */
static inline void rdc_abi_pack(void *dst, size_t stride, const void *src,
                                size_t host_size, size_t cnt) {
        for (size_t i = 0; i < cnt; i++)
                rdc_abi_copy((char *)dst + i * stride, stride,
                             (const char *)src + i * host_size, host_size);
}

/**
 * @brief One header of a plugin array (stride: the plugin's header_size)
 *        in the host's layout: fields beyond the plugin's size read 0.
 */
static inline void rdc_abi_header_get(rdcp_header_t *out, const void *base,
                                      size_t stride, size_t i) {
        rdc_abi_copy(out, sizeof(*out), rdc_abi_at(base, stride, i), stride);
}

#endif
