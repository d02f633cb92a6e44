"""Petite application web du lab 03 (bibliothèque standard uniquement).

- écoute sur 0.0.0.0:$PORT (8080 par défaut) ;
- affiche « Serving on port <PORT> » au démarrage ;
- GET /  → 200, JSON {"status": "ok"} ; autre chemin → 404 ;
- s'arrête proprement sur SIGTERM (docker stop).
"""
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(os.environ.get("PORT", "8080"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404, "Not Found")


def stop(_signum, _frame):
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    server = HTTPServer(("0.0.0.0", PORT), Handler)
    print(f"Serving on port {PORT}")
    try:
        server.handle_request()
    finally:
        server.server_close()
