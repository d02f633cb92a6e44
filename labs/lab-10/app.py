"""Petite application web du lab 10 (bibliothèque standard uniquement).

- écoute sur 0.0.0.0:$PORT (8080 par défaut) ;
- affiche « Serving on port <PORT> » au démarrage ;
- GET /        → 200, JSON {"status": "ok"} ;
- GET /health  → 200 {"status": "ok"} tant que l'application est saine,
                 500 {"status": "broken"} après un POST /break ;
- POST /break  → simule une panne : /health répond 500 ensuite ;
- sur SIGTERM (docker stop), ferme le serveur et se termine avec le code 0,
  à condition de recevoir le signal : c'est le rôle du Dockerfile.
"""
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(os.environ.get("PORT", "8080"))

healthy = True


class Handler(BaseHTTPRequestHandler):
    def _json(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            self._json(200, {"status": "ok"})
        elif self.path == "/health":
            if healthy:
                self._json(200, {"status": "ok"})
            else:
                self._json(500, {"status": "broken"})
        else:
            self.send_error(404, "Not Found")

    def do_POST(self):
        global healthy
        if self.path == "/break":
            healthy = False
            self._json(200, {"status": "broken"})
        else:
            self.send_error(404, "Not Found")


def stop(signum, _frame):
    # SystemExit sort de serve_forever ; le bloc finally ferme le serveur.
    print(f"Signal {signum} received, shutting down", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    server = HTTPServer(("0.0.0.0", PORT), Handler)
    print(f"Serving on port {PORT}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
