#!/usr/bin/env bash
# Lab 07 — Volumes et persistance
# Écrivez ci-dessous les commandes docker demandées, une par ligne.
# Le correcteur lance ce script depuis ce dossier : le dossier site/ est à côté.
#
# 1. Créer le volume nommé « donnees ».
#
# 2. Lancer en arrière-plan un conteneur « stockage » (busybox par exemple) qui
#    reste en marche, avec le volume « donnees » monté sur /data.
#
# 3. Écrire le mot « persistant » dans /data/message.txt, dans ce volume.
#
# 4. Lancer en arrière-plan un conteneur « dev » depuis nginx, qui monte le
#    dossier site/ de ce lab EN LECTURE SEULE sur /usr/share/nginx/html et
#    publie son port 80 sur le port 8082 de l'hôte.
#    (Un montage lié demande un chemin absolu : pensez à "$(pwd)".)

echo "commands.sh : rien n'est encore fait, complétez ce script."
