/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry: the only list of the features the core calls, and the
 * dispatchers that walk it. A feature with no hook needs no entry.
 */
#include "dirty.h"
#include "discover.h"
#include "dma.h"
#include "feature.h"
#include "posting.h"
#include "reconnect.h"
#include "region.h"
#include "wcomb.h"

/* The order is the order of every hook, so that of teardown as well:
 * discovery lets go of the regions before the DMA maps go, and pooled
 * operations are freed last. Combined writes leave before the
 * REGION_WRITE_MULTI batch they may join. */
static const struct vuc_feature *const features[] = {
    &vuc_discover_feature,  &vuc_reconnect_feature, &vuc_dma_feature,
    &vuc_dma_serve_feature, &vuc_region_feature,    &vuc_wcomb_feature,
    &vuc_posting_feature,   &vuc_dirty_feature,
};

#define NFEATURES (sizeof(features) / sizeof(features[0]))

int vuc_features_before_send(struct vuc_client *c)
{
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->before_send != NULL) {
            int rc = features[i]->before_send(c);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

int vuc_features_flush(struct vuc_client *c, enum vuc_flush_point why)
{
    int rc = 0;

    /* Every feature flushes even when one fails: each one's messages are
     * its own, and a failure is reported by the first. */
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->flush != NULL) {
            int err = features[i]->flush(c, why);
            if (err < 0 && rc == 0) {
                rc = err;
            }
        }
    }
    return rc;
}

void vuc_features_replied(struct vuc_client *c, uint64_t noreply)
{
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->replied != NULL) {
            features[i]->replied(c, noreply);
        }
    }
}

bool vuc_features_stray_reply(struct vuc_client *c,
                              const struct vfio_user_header *hdr)
{
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->stray_reply != NULL &&
            features[i]->stray_reply(c, hdr)) {
            return true;
        }
    }
    return false;
}

vuc_serve_fn vuc_features_server(uint16_t cmd)
{
    for (size_t i = 0; cmd != 0 && i < NFEATURES; i++) {
        const struct vuc_feature *f = features[i];
        for (size_t j = 0; j < sizeof(f->serves) / sizeof(f->serves[0]); j++) {
            if (f->serves[j] == cmd) {
                return f->serve;
            }
        }
    }
    return NULL;
}

void vuc_features_conn_lost(struct vuc_client *c)
{
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->conn_lost != NULL) {
            features[i]->conn_lost(c);
        }
    }
}

void vuc_features_conn_closed(struct vuc_client *c, int err)
{
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->conn_closed != NULL) {
            features[i]->conn_closed(c, err);
        }
    }
}

void vuc_features_release(struct vuc_client *c)
{
    for (size_t i = 0; i < NFEATURES; i++) {
        if (features[i]->release != NULL) {
            features[i]->release(c);
        }
    }
}
