#!/usr/bin/env bash
# Une commande ajoutée après l'image « pour vérifier le montage » : ls remplace nginx, le conteneur dev s'arrête aussitôt.
docker volume create donnees
docker run -d --name stockage -v donnees:/data busybox:1.36 sleep infinity
docker exec stockage sh -c 'echo persistant > /data/message.txt'
docker run -d --name dev -p 8082:80 -v "$(pwd)/site:/usr/share/nginx/html:ro" nginx:1.27 ls /usr/share/nginx/html
