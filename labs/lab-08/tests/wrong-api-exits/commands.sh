#!/usr/bin/env bash
# « nginx -t » ajouté pour tester la configuration : il remplace le serveur, api s'arrête aussitôt.
# Le réseau d'abord, puis chaque conteneur directement dessus.
docker network create reseau-app
docker run -d --name api --network reseau-app nginx:1.27 nginx -t
docker run -d --name client --network reseau-app busybox:1.36 sleep 3600
docker run -d --name isole busybox:1.36 sleep 3600
