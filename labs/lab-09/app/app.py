"""Compteur de visites du lab 09 (bibliothèque standard uniquement).

- écoute sur 0.0.0.0:$PORT (8000 par défaut) ;
- GET /  → incrémente la clé « visites » dans Redis (hôte $REDIS_HOST, « cache »
  par défaut, port $REDIS_PORT, 6379 par défaut) et répond 200 avec le nombre
  de visites : « Cette page a été vue 3 fois. » ;
- Redis injoignable → 503 avec la raison ; autre chemin → 404 ;
- s'arrête aussitôt sur SIGTERM (docker stop, docker compose down).

Aucun paquet PyPI : le client Redis parle le protocole RESP sur un socket.
"""
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8000"))
REDIS_HOST = os.environ.get("REDIS_HOST", "cache")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))


def redis_command(*words):
    """Envoie une commande Redis (tableau RESP) et renvoie la réponse décodée."""
    request = f"*{len(words)}\r\n".encode()
    for word in words:
        data = str(word).encode()
        request += b"$%d\r\n%s\r\n" % (len(data), data)
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as conn:
        conn.sendall(request)
        reply = conn.makefile("rb").readline().decode().rstrip("\r\n")
    kind, value = reply[:1], reply[1:]
    if kind == ":":
        return int(value)
    if kind == "+":
        return value
    raise RuntimeError(f"réponse de Redis : {reply}")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.reply(404, "Introuvable.\n")
            return
        try:
            visits = redis_command("INCR", "visites")
        except (OSError, RuntimeError) as error:
            self.reply(503, f"Redis injoignable ({REDIS_HOST}:{REDIS_PORT}) : {error}\n")
            return
        self.reply(200, f"Cette page a été vue {visits} fois.\n")

    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def stop(_signum, _frame):
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    print(f"Serving on port {PORT}, Redis at {REDIS_HOST}:{REDIS_PORT}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
