#!/usr/bin/env bash
# The statement leaves journal's image free: this student prints the message with Python.
docker run -d --name site -p 8081:80 -e APP_ENV=dev -m 256m --restart unless-stopped --label cours=docker nginx:1.27
docker cp index.html site:/usr/share/nginx/html/index.html
docker run --name journal python:3.11-slim python -c 'print("Bonjour depuis le conteneur")'
