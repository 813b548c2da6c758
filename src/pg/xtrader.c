/*
 * xtrader.c: module entry point. Loads only through shared_preload_libraries (later issues put
 * the books in shared memory and start background workers, which is only possible there) and
 * defines the xtrader.* GUCs.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "pg/xtrader.h"

PG_MODULE_MAGIC;

int			xt_guc_max_symbols = XT_DEFAULT_MAX_SYMBOLS;

void		_PG_init(void);

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("xtrader must be loaded via shared_preload_libraries"),
				 errhint("Add xtrader to shared_preload_libraries in postgresql.conf and restart the server.")));

	DefineCustomIntVariable("xtrader.max_symbols",
							"Maximum number of symbols the exchange can list.",
							"Sizes the shared-memory books; changing it needs a restart.",
							&xt_guc_max_symbols,
							XT_DEFAULT_MAX_SYMBOLS, XT_MIN_MAX_SYMBOLS, XT_MAX_MAX_SYMBOLS,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("xtrader");
}
