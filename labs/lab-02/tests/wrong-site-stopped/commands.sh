#!/usr/bin/env bash
docker run -d --name site -p 8081:80 -e APP_ENV=dev -m 256m --restart unless-stopped --label cours=docker nginx:1.27
docker cp index.html site:/usr/share/nginx/html/index.html
docker run --name journal busybox:1.36 echo "Bonjour depuis le conteneur"
# « Pour faire propre », le site est arrêté à la fin.
docker stop site
