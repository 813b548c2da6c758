/*
 * gw_publish.c: test helper of test/gateway/run.sh. Publishes N Execution messages (docs/api.md)
 * with the project's RabbitMQ publisher (xt_pub_publish_batch: persistent, confirmed) to the
 * exchange, routing key execution.<SYMBOL>, ids FIRST .. FIRST+N-1, and writes each body, one per
 * line, to OUT so the test can compare what the clients got byte for byte.
 *
 * usage: gw_publish AMQP_URL EXCHANGE SYMBOL FIRST_ID N OUT [ROUTING_KEY]
 * With ROUTING_KEY (e.g. ticker.BTC-KRW) the messages go with that key and, unless it starts with
 * "execution.", their bodies are ticker messages instead of Executions.
 * exit 0 when all N were confirmed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include "brokers/publisher.h"

int
main(int argc, char **argv)
{
	xt_pub_config cfg;
	xt_publisher *p;
	char		err[XT_PUB_ERRLEN];
	char		rk[128];
	unsigned long long first,
				n;
	xt_pub_msg *msgs;
	char	  **bodies;
	FILE	   *out;
	size_t		done = 0;
	int			tries = 0;
	struct timespec ts;
	long long	now;

	bool		ticker = false;

	if (argc != 7 && argc != 8)
	{
		fprintf(stderr, "usage: gw_publish AMQP_URL EXCHANGE SYMBOL FIRST_ID N OUT [ROUTING_KEY]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	first = strtoull(argv[4], NULL, 10);
	n = strtoull(argv[5], NULL, 10);
	if (first == 0 || n == 0 || n > 1000000)
		return 2;
	snprintf(rk, sizeof(rk), "execution.%s", argv[3]);
	if (argc == 8)
	{
		snprintf(rk, sizeof(rk), "%s", argv[7]);
		ticker = strncmp(rk, "execution.", 10) != 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	msgs = calloc(n, sizeof(*msgs));
	bodies = calloc(n, sizeof(*bodies));
	out = fopen(argv[6], "w");
	if (msgs == NULL || bodies == NULL || out == NULL)
		return 1;
	for (unsigned long long i = 0; i < n; i++)
	{
		unsigned long long id = first + i;
		char		buf[512];
		int			len = ticker ?
			snprintf(buf, sizeof(buf),
					 "{\"type\":\"ticker\",\"symbol\":\"%s\",\"last_price\":\"50000000\","
					 "\"best_bid\":\"50000000\",\"best_ask\":null,\"volume_24h\":\"0.003\","
					 "\"seq\":%llu,\"ts\":%lld}", argv[3], id, now + (long long) i) :
			snprintf(buf, sizeof(buf),
								   "{\"type\":\"Execution\",\"execution_report\":{\"order_id\":%llu,"
								   "\"execution_id\":%llu,\"symbol\":\"%s\",\"side\":\"%s\","
								   "\"price\":\"50000000\",\"quantity\":\"0.001\","
								   "\"remaining_quantity\":\"0\",\"role\":\"%s\",\"seq\":%llu,"
								   "\"ts\":%lld},\"order_status\":\"Filled\"}",
								   id, (id + 1) / 2, argv[3], id % 2 ? "Buy" : "Sell",
								   id % 2 ? "taker" : "maker", id, now + (long long) i);

		bodies[i] = strdup(buf);
		msgs[i].id = id;
		msgs[i].key = argv[3];
		msgs[i].routing_key = rk;
		msgs[i].body = bodies[i];
		msgs[i].len = (size_t) len;
		fprintf(out, "%s\n", buf);
	}
	fclose(out);

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = XT_PUB_AMQP;
	cfg.url = argv[1];
	cfg.target = argv[2];
	p = xt_pub_create(&cfg, err, sizeof(err));
	if (p == NULL)
	{
		fprintf(stderr, "gw_publish: %s\n", err);
		return 1;
	}
	while (done < n && tries < 20)
	{
		size_t		k = xt_pub_publish_batch(p, msgs + done, n - done > 1000 ? 1000 : n - done);

		if (k == 0)
		{
			tries++;
			fprintf(stderr, "gw_publish: %s\n", xt_pub_last_error(p));
			nanosleep(&(struct timespec) {0, 200 * 1000000L}, NULL);
		}
		done += k;
	}
	xt_pub_destroy(p);
	for (unsigned long long i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	free(msgs);
	if (done < n)
	{
		fprintf(stderr, "gw_publish: only %zu of %llu confirmed\n", done, n);
		return 1;
	}
	return 0;
}
