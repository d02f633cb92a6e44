#!/usr/bin/env bash
# La ligne du lab 01 recopiée : le conteneur « registre » est un nginx, pas un registre ; rien ne répond sur /v2/.
docker run -d --name registre -p 5000:5000 nginx:1.27

# Une seule construction, deux tags sur la même image.
docker build -t mon-app:1.0 .
docker tag mon-app:1.0 localhost:5000/mon-app:1.0
docker tag mon-app:1.0 localhost:5000/mon-app:latest

# Le registre met un instant à démarrer.
for i in $(seq 20); do curl -fs http://localhost:5000/v2/ > /dev/null && break; sleep 0.5; done

docker push localhost:5000/mon-app:1.0
docker push localhost:5000/mon-app:latest

# Plus de copie locale, puis retour depuis le registre.
docker rmi mon-app:1.0 localhost:5000/mon-app:1.0 localhost:5000/mon-app:latest
docker pull localhost:5000/mon-app:1.0
docker run --rm localhost:5000/mon-app:1.0
