/*
 * spi_txn.c: short SPI transactions for the background workers that must survive an ERROR
 * (the network worker, the broker publishers, the consumer group members).
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg/xtrader.h"

bool
xt_spi_transaction(XtSpiFn fn, void *ctx, void *arg, const char *who,
				   char *last_error, size_t last_error_cap)
{
	return xt_spi_transaction_code(fn, ctx, arg, who, last_error, last_error_cap, NULL);
}

bool
xt_spi_transaction_code(XtSpiFn fn, void *ctx, void *arg, const char *who,
						char *last_error, size_t last_error_cap, int *sqlerrcode)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	if (sqlerrcode != NULL)
		*sqlerrcode = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		fn(ctx, arg);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		last_error[0] = '\0';
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		/* the same failure on every retry (a dropped extension, say) is logged once */
		ereport(strcmp(ed->message, last_error) == 0 ? DEBUG1 : LOG,
				(errmsg("%s: %s", who, ed->message)));
		strlcpy(last_error, ed->message, last_error_cap);
		if (sqlerrcode != NULL)
			*sqlerrcode = ed->sqlerrcode;
		FreeErrorData(ed);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}
