#!/usr/bin/env bash
# Lab 11 — Registre, tags et push/pull : écrivez ici les commandes docker demandées (voir README.md).
# Le correcteur lance ce script depuis ce dossier : bash commands.sh

