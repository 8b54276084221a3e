/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Serving a pool's metrics to Prometheus or the OpenTelemetry Collector: a tiny HTTP
 * endpoint on GIO's GThreadedSocketService that answers GET /metrics with
 * db_pool_get_metrics().
 *
 *   metrics-server [--port PORT] [--name NAME] [DATABASE]
 *   metrics-server --self-test
 *
 * The first serves http://127.0.0.1:PORT/metrics (9464 by default, the port of
 * OpenTelemetry's Prometheus exporter) until interrupted. --self-test serves on a
 * free port, fetches /metrics once itself, checks the answer and exits: the test
 * suite runs it that way. Build it with
 *
 *   cc metrics-server.c -o metrics-server $(pkg-config --cflags --libs dbpool-1.0)
 */
#include <string.h>

#include <glib/gstdio.h>
#include <dbpool.h>

#define CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Runs on one of the service's threads per connection: blocking I/O is fine here, and
 * db_pool_get_metrics() may be called from any thread. */
static gboolean
on_request (GThreadedSocketService *service,
            GSocketConnection      *connection,
            GObject                *source_object,
            gpointer                user_data)
{
  DbPool *pool = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (in);
  g_autofree char *request = NULL;
  g_autofree char *body = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GError) error = NULL;
  gboolean found;

  request = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  if (request == NULL)
    return TRUE;
  /* Skip the headers: nothing in them changes the answer. */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *header = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, NULL);

      if (header == NULL || header[0] == '\0' || g_str_equal (header, "\r"))
        break;
    }

  found = g_str_has_prefix (request, "GET /metrics ") || g_str_has_prefix (request, "GET / ");
  body = found ? db_pool_get_metrics (pool) : g_strdup ("Not found: try /metrics\n");
  response = g_strdup_printf ("HTTP/1.1 %s\r\n"
                              "Content-Type: %s\r\n"
                              "Content-Length: %zu\r\n"
                              "Connection: close\r\n"
                              "\r\n"
                              "%s",
                              found ? "200 OK" : "404 Not Found",
                              found ? CONTENT_TYPE : "text/plain; charset=utf-8",
                              strlen (body), body);
  if (!g_output_stream_write_all (out, response, strlen (response), NULL, NULL, &error))
    g_printerr ("metrics-server: %s\n", error->message);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

/* A client of our own: GET /metrics, the whole answer. */
static char *
fetch_metrics (guint16   port,
               GError  **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GOutputStream) answer = g_memory_output_stream_new_resizable ();
  static const char request[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, error);
  if (connection == NULL)
    return NULL;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, strlen (request), NULL, NULL, error))
    return NULL;
  if (g_output_stream_splice (answer, g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                              G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  g_output_stream_write (answer, "", 1, NULL, NULL);   /* NUL-terminate */
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (answer));
}

/* Listens on 127.0.0.1 only (put a reverse proxy in front to expose it); @port 0
 * picks a free one. Returns the port, or 0 with @error set. */
static guint16
listen_on_loopback (GSocketService  *service,
                    guint16          port,
                    GError         **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) effective = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    return 0;
  g_socket_service_start (service);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
}

typedef struct
{
  guint16  port;
  char    *answer;
  GError  *error;
  gboolean done;
} Fetch;

static gpointer
fetch_thread (gpointer data)
{
  Fetch *fetch = data;

  fetch->answer = fetch_metrics (fetch->port, &fetch->error);
  g_atomic_int_set (&fetch->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static int
self_test (DbPool          *pool,
           GSocketService  *service)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  Fetch fetch = { 0 };
  guint16 port;

  port = listen_on_loopback (service, 0, &error);
  if (port == 0)
    {
      g_printerr ("metrics-server: cannot listen: %s\n", error->message);
      return 1;
    }

  /* Some activity, so the histograms are not empty. */
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);

      if (conn == NULL)
        {
          g_printerr ("metrics-server: %s\n", error->message);
          return 1;
        }
    }

  /* The service accepts connections from this thread's main context, so the client
   * runs on a thread of its own while the context runs here. */
  fetch.port = port;
  g_thread_unref (g_thread_new ("fetch", fetch_thread, &fetch));
  while (!g_atomic_int_get (&fetch.done))
    g_main_context_iteration (NULL, TRUE);
  answer = fetch.answer;
  if (answer == NULL)
    {
      g_printerr ("metrics-server: fetching /metrics failed: %s\n", fetch.error->message);
      g_error_free (fetch.error);
      return 1;
    }
  g_print ("%s", answer);
  if (!g_str_has_prefix (answer, "HTTP/1.1 200 OK\r\n") ||
      strstr (answer, "\r\nContent-Type: " CONTENT_TYPE "\r\n") == NULL ||
      strstr (answer, "\ndb_client_connection_wait_time_seconds_count{pool_name=\"self-test\"} 3\n") == NULL ||
      !g_str_has_suffix (answer, "\n# EOF\n"))
    {
      g_printerr ("metrics-server: unexpected answer\n");
      return 1;
    }
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  int port = 9464;
  char *name = NULL;
  gboolean test = FALSE;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "The port to serve on (9464)", "PORT" },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, "The pool's name in the metrics", "NAME" },
    { "self-test", 0, 0, G_OPTION_ARG_NONE, &test, "Serve, fetch once, check, exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("[DATABASE]");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DbPoolConfig) config = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GSocketService) service = NULL;
  int status = 0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || port <= 0 || port > 65535)
    {
      g_printerr ("metrics-server: %s\n", error ? error->message : "invalid --port");
      return 2;
    }

  if (argc > 1)
    path = g_strdup (argv[1]);
  else
    {
      tmpdir = g_dir_make_tmp ("dbpool-metrics-XXXXXX", &error);
      if (tmpdir == NULL)
        {
          g_printerr ("metrics-server: %s\n", error->message);
          return 1;
        }
      path = g_build_filename (tmpdir, "metrics.db", NULL);
    }

  config = db_pool_config_new (path);
  db_pool_config_set_name (config, test ? "self-test" : name ? name : "metrics-server");
  pool = db_pool_new (config, NULL, &error);
  if (pool == NULL)
    {
      g_printerr ("metrics-server: %s\n", error->message);
      return 1;
    }

  /* Up to 4 scrapes at once, each on its own thread. */
  service = g_threaded_socket_service_new (4);
  g_signal_connect (service, "run", G_CALLBACK (on_request), pool);

  if (test)
    status = self_test (pool, service);
  else
    {
      g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

      if (listen_on_loopback (service, (guint16) port, &error) == 0)
        {
          g_printerr ("metrics-server: cannot listen on port %d: %s\n", port, error->message);
          return 1;
        }
      g_print ("Serving http://127.0.0.1:%d/metrics\n", port);
      g_main_loop_run (loop);
    }

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  db_pool_close (pool);
  if (tmpdir != NULL)
    {
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);

      g_unlink (wal);
      g_unlink (shm);
      g_unlink (path);
      g_rmdir (tmpdir);
    }
  g_free (name);
  return status;
}
