// glibc functions that Swift's Glibc module hides because it is built without _GNU_SOURCE. Declared
// with their plain C types (pthread_t is unsigned long, socklen_t unsigned int on Linux) so that this
// module does not pull in a second copy of the system headers' types.
struct sockaddr;

extern int pthread_setname_np(unsigned long thread, const char *name);
extern int accept4(int sockfd, struct sockaddr *addr, unsigned int *addrlen, int flags);
extern int pipe2(int pipefd[2], int flags);
