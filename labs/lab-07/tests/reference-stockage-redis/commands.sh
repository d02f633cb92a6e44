#!/usr/bin/env bash
# The statement leaves stockage's image free: this student keeps a Redis server on the volume (its /data).
docker volume create donnees
docker run -d --name stockage -v donnees:/data redis:7
docker exec stockage sh -c 'echo persistant > /data/message.txt'
docker run -d --name dev -p 8082:80 -v "$(pwd)/site:/usr/share/nginx/html:ro" nginx:1.27
