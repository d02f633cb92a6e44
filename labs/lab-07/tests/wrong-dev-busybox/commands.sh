#!/usr/bin/env bash
# Le site est servi, mais pas par nginx : le httpd de busybox sur le même dossier monté.
docker volume create donnees
docker run -d --name stockage -v donnees:/data busybox:1.36 sleep infinity
docker exec stockage sh -c 'echo persistant > /data/message.txt'
docker run -d --name dev -p 8082:80 -v "$(pwd)/site:/usr/share/nginx/html:ro" busybox:1.36 httpd -f -p 80 -h /usr/share/nginx/html
