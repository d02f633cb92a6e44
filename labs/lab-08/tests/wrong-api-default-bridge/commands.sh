#!/usr/bin/env bash
# api est lancé sans --network : il est sur le bridge par défaut.
# Le réseau d'abord, puis chaque conteneur directement dessus.
docker network create reseau-app
docker run -d --name api nginx:1.27
docker run -d --name client --network reseau-app busybox:1.36 sleep 3600
docker run -d --name isole busybox:1.36 sleep 3600
