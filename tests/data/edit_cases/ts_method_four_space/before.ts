export interface User {
  id: number;
  name: string;
}

export function greet(user: User): string {
  return "Hello " + user.name;
}

export class Users {
  private items: User[] = [];

  add(user: User): void {
    this.items.push(user);
  }
}
