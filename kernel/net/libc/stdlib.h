// The <stdlib.h> lwIP's C sources include (netif.c's netif_find uses atoi): kernel/net/port.cc.
// Only lwIP's files see this folder (kernel/CMakeLists.txt).
#pragma once

int atoi(const char* text);
