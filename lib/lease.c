#include "lease.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const char lease_sql_lock[] = "SELECT pg_try_advisory_lock(" LEASE_STR(LEASE_LOCK_NS) ", $1::int)";

const char lease_sql_orphaned[] = LEASE_SQL_ORPHANED;

int32_t lease_instance_id(void)
{
	static int32_t id;

	while (id <= 0) {
		unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16) ^
			(unsigned)clock();
		id = (int32_t)(rand_r(&seed) & 0x7fffffff);
	}
	return id;
}
