#!/usr/bin/env bash
# Lab 01 — Premier conteneur
# Écrivez ci-dessous les commandes docker demandées, une par ligne.
#
# 1. Lancer un conteneur nommé « mon-serveur » depuis l'image nginx, en
#    arrière-plan, avec le port 80 du conteneur publié sur le port 8080 de l'hôte.
#
# 2. Lancer un second conteneur nginx nommé « ancien », en arrière-plan.
#
# 3. Arrêter « ancien » (sans le supprimer).
