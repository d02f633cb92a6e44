#!/usr/bin/env bash
# Pour « voir les logs » à la fin : docker logs -f suit le registre sans fin, le script ne se termine jamais.
docker run -d --name registre -p 5000:5000 registry:2

# Une seule construction, deux tags sur la même image.
docker build -t mon-app:1.0 .
docker tag mon-app:1.0 localhost:5000/mon-app:1.0
docker tag mon-app:1.0 localhost:5000/mon-app:latest

# Le registre met un instant à démarrer.
until curl -fs http://localhost:5000/v2/ > /dev/null; do sleep 0.2; done

docker push localhost:5000/mon-app:1.0
docker push localhost:5000/mon-app:latest

# Plus de copie locale, puis retour depuis le registre.
docker rmi mon-app:1.0 localhost:5000/mon-app:1.0 localhost:5000/mon-app:latest
docker pull localhost:5000/mon-app:1.0
docker run --rm localhost:5000/mon-app:1.0
docker logs -f registre
