#!/usr/bin/env bash
# dev lancé sans -d : nginx tourne au premier plan et le script attend sans fin.
docker volume create donnees
docker run -d --name stockage -v donnees:/data busybox:1.36 sleep infinity
docker exec stockage sh -c 'echo persistant > /data/message.txt'
docker run --name dev -p 8082:80 -v "$(pwd)/site:/usr/share/nginx/html:ro" nginx:1.27
