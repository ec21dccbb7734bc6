/*
 * arch/host/lwip_tsan.c - ThreadSanitizer suppressions for lwIP's own
 * sources (build/lwip/src, docs/net.md), which Quire does not edit.
 *
 * Layer: arch/host. Used by: the TSan runtime (it looks the function up).
 *
 * One race, by lwIP's design: netconn_write_vectors_partly() (the caller's
 * thread) tests NETCONN_FLAG_NON_BLOCKING in conn->flags without the core
 * lock, while the tcpip thread's sent_tcp() clears another bit of the same
 * byte (NETCONN_FLAG_CHECK_WRITESPACE). The bit read is written only by
 * the caller itself (netconn_set_nonblocking), and a byte store cannot tear
 * on the machines Quire runs on. Only this function pair is suppressed; a
 * race anywhere else in lwIP or the port still fails the run.
 */
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void)
{
	return "race:netconn_write_vectors_partly\n";
}
