#!/usr/bin/env bash
# Un serveur web, mais pas nginx : le httpd de busybox, qui n'a pas /usr/share/nginx/html.
docker run -d --name site -p 8081:80 -e APP_ENV=dev -m 256m --restart unless-stopped --label cours=docker busybox:1.36 httpd -f -p 80 -h /usr/share/nginx/html
docker cp index.html site:/usr/share/nginx/html/index.html
docker run --name journal busybox:1.36 echo "Bonjour depuis le conteneur"
