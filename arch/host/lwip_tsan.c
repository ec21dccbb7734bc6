/*
 * arch/host/lwip_tsan.c - ThreadSanitizer suppressions for lwIP's own
 * sources (build/lwip/src, docs/net.md), which Quire does not edit.
 *
 * Layer: arch/host. Used by: the TSan runtime (it looks the function up).
 *
 * lwIP's netconn API (api/api_lib.c, the caller's thread) tests and sets
 * bits of conn->flags without the core lock, while the tcpip thread
 * (api_msg.c: sent_tcp, recv_tcp, ...) changes other bits of the same
 * byte: lwIP's design, which TSan rightly reports. Suppressed only where
 * the racing access is at the top of the stack in one of the netconn
 * functions that touch conn->flags; a race anywhere else in lwIP or the
 * port still fails the run. docs/net.md ("Left out") says what it means.
 */
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void)
{
	return "race_top:netconn_write_vectors_partly\n"
	       "race_top:netconn_recv_data_tcp\n"
	       "race_top:netconn_recv_data\n"
	       "race_top:netconn_accept\n"
	       "race_top:netconn_delete\n";
}
