#!/usr/bin/env bash
# isole lancé sans -d : sleep 3600 au premier plan, le script attend sans fin.
# Le réseau d'abord, puis chaque conteneur directement dessus.
docker network create reseau-app
docker run -d --name api --network reseau-app nginx:1.27
docker run -d --name client --network reseau-app busybox:1.36 sleep 3600
docker run --name isole busybox:1.36 sleep 3600
