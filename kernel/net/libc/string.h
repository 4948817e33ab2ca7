// The <string.h> lwIP's C sources include: the kernel's own memcpy & co
// (kernel/boot/runtime.cc). Only lwIP's files see this folder (kernel/CMakeLists.txt).
#pragma once

#include <stddef.h>

void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int value, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strncmp(const char* a, const char* b, size_t n);
