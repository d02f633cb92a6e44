#!/usr/bin/env bash
# Pour « voir les logs » à la fin : docker logs -f suit le conteneur sans fin, le script ne se termine jamais.
docker run -d --name site -p 8081:80 -e APP_ENV=dev -m 256m --restart unless-stopped --label cours=docker nginx:1.27
docker cp index.html site:/usr/share/nginx/html/index.html
docker run --name journal busybox:1.36 echo "Bonjour depuis le conteneur"
docker logs -f site
