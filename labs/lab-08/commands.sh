#!/usr/bin/env bash
# Lab 08 — Réseaux : écrivez ici les commandes docker demandées (voir README.md).
# Le correcteur lance ce script depuis ce dossier : bash commands.sh

