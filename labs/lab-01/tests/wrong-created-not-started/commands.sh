#!/usr/bin/env bash
# docker create prépare le conteneur mais ne le démarre pas (il manque docker start).
docker create --name mon-serveur -p 8080:80 nginx:1.27
docker run -d --name ancien nginx:1.27
docker stop ancien
