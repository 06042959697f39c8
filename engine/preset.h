/* Jurisdiction presets: presets/<name>.json, named by a policy's
 * "preset" key, holds the contact window, the contact caps and the words
 * a step may not say under one jurisdiction's rules. What the policy
 * leaves unset the preset supplies; what the policy sets looser than the
 * preset is a warning (an operator may know better, but must say so
 * knowingly), never an error. */
#ifndef DUNN_PRESET_H
#define DUNN_PRESET_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"
#include "policy.h"

struct jconf;

struct preset {
	char *name;
	char *file;     /* where it was read */
	int start, end; /* contact window, minutes after local midnight */
	struct policy_cap *caps;
	size_t ncaps;
	char **words; /* a step's consequence must not say these */
	size_t nwords;
};

/* Read root's "preset" (if any) for the policy in file: the preset is
 * looked for in <policy's directory>/presets/, then DUNN_DATADIR/presets/.
 * Fills p->preset and applies its defaults (the window, when the policy
 * has no contact_window; each cap whose channel the policy does not cap).
 * Problems go to j's diag. */
void preset_load(struct jconf *j, const char *file, struct policy *p);
void preset_free(struct preset *pr);
/* Where the policy in file (its text in text) is looser than its preset:
 * one "warning: ..." per finding in warn, at the policy's file:line:col. */
void preset_warnings(const struct policy *p, const char *file, struct diag *warn);

#endif
