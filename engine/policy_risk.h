/* The policy's risk rules as the loader reads them (engine/policy.c
 * calls these; engine/policy_risk.c holds them and the pure part). */
#ifndef DUNN_POLICY_RISK_H
#define DUNN_POLICY_RISK_H

#include "jconf.h"
#include "policy.h"

/* "min_risk" and "max_risk" of a track's "when" (at wpath). */
void policy_risk_load_when(struct jconf *c, json_t *when, const char *wpath,
			   struct policy_track *tr);
/* "cadence" of obj (a track or the policy's root, at path). */
void policy_risk_load_cadence(struct jconf *c, json_t *obj, const char *path,
			      struct policy_cadence *out);
/* The policy's "risk" object (band thresholds, max age), and uses_risk
 * from what the tracks say; after the tracks are loaded. */
void policy_risk_load(struct jconf *c, json_t *root, struct policy *p);

#endif
