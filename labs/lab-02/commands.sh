#!/usr/bin/env bash
# Lab 02 — Cycle de vie et interaction
# Écrivez ci-dessous les commandes docker demandées, une par ligne.
# Le correcteur lance ce script depuis ce dossier : index.html est à côté.
#
# 1. Lancer en arrière-plan un conteneur nommé « site » depuis l'image nginx,
#    avec :
#      - le port 80 du conteneur publié sur le port 8081 de l'hôte ;
#      - la variable d'environnement APP_ENV valant dev ;
#      - une limite de mémoire de 256 Mio ;
#      - la politique de redémarrage unless-stopped ;
#      - le label cours=docker.
#
# 2. Copier index.html dans le conteneur « site », à la place de la page
#    d'accueil de nginx (/usr/share/nginx/html/index.html).
#
# 3. Lancer un conteneur nommé « journal » (busybox) qui affiche
#    « Bonjour depuis le conteneur » puis se termine. Ne le supprimez pas :
#    le correcteur lit ses logs.

echo "commands.sh : rien n'est encore fait, complétez ce script."
