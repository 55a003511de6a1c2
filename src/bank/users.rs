use super::{Bank, BankError, with_fresh_number};
use crate::domain::{
    Account, AccountKind, Currency, Email, Password, Role, User, UserId, Username,
};

pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub role: Role,
}

impl Bank {
    /// Creates a user with a checking account in `currency`, in one commit.
    pub async fn create_user(&self, new: NewUser, currency: Currency) -> Result<User, BankError> {
        let now = crate::clock::now_millis();
        let user = User {
            id: UserId::new(),
            username: new.username,
            email: new.email,
            password_hash: self.hasher.hash(&new.password).await?,
            role: new.role,
            created_at: now,
            disabled: false,
        };
        with_fresh_number(|number| {
            let account = Account::new(
                Some(user.id),
                user.username.as_str(),
                number,
                AccountKind::Checking,
                currency,
                "Checking",
                now,
            );
            self.store.create_user(user.clone(), vec![account])
        })
        .await?;
        Ok(user)
    }

    pub async fn set_password(
        &self,
        username: &Username,
        password: &Password,
    ) -> Result<User, BankError> {
        let mut user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or(BankError::UserNotFound)?;
        user.password_hash = self.hasher.hash(password).await?;
        self.store.update_user(user.clone()).await?;
        Ok(user)
    }

    pub async fn set_disabled(
        &self,
        username: &Username,
        disabled: bool,
    ) -> Result<User, BankError> {
        let mut user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or(BankError::UserNotFound)?;
        user.disabled = disabled;
        self.store.update_user(user.clone()).await?;
        Ok(user)
    }
}
