#include "vmbus.h"
int main(void){return 0;}
