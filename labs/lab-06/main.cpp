// Lab 06 : le programme à compiler. Il affiche un message et se termine avec le code 0.
#include <iostream>

int main() {
    std::cout << "Hello, Docker!" << std::endl;
    return 0;
}
